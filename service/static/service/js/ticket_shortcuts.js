"use strict";
// Shortcuts for agents working from the keyboard: r / n open the reply box as a public reply or an
// internal note, Ctrl+Enter (Cmd+Enter) sends, Esc leaves the box.
(function () {
  var form = document.getElementById("reply-form");
  if (!form) { return; }
  var box = form.querySelector("textarea");
  function choose(kind) {
    var radio = form.querySelector('input[name="kind"][value="' + kind + '"]');
    if (radio) { radio.checked = true; }
    box.classList.toggle("bg-warning-subtle", kind === "note");
    box.focus();
  }
  form.querySelectorAll('input[name="kind"]').forEach(function (radio) {
    radio.addEventListener("change", function () { box.classList.toggle("bg-warning-subtle", radio.value === "note" && radio.checked); });
  });
  document.addEventListener("keydown", function (event) {
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName) || event.target.isContentEditable;
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && form.contains(event.target)) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (event.key === "Escape" && typing) { event.target.blur(); return; }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "r") { event.preventDefault(); choose("reply"); }
    if (event.key === "n") { event.preventDefault(); choose("note"); }
  });
})();
