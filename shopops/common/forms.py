"""Form helpers shared by the apps' pages."""

from django.core.exceptions import ValidationError


def errors_to_form(form, exc: ValidationError) -> None:
    """A service's ValidationError shown on the form: field errors next to their fields (others on top)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)
