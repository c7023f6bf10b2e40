from catalog import urls_import, urls_pages, urls_recs, urls_tools

app_name = "catalog"
# One module of routes per part of the catalogue's pages.
urlpatterns = [
    *urls_pages.urlpatterns,  # pricing overview, catalogue list, SKU page
    *urls_tools.urlpatterns,  # pricing tools: edits, bulk change, channel and tier prices, bundles
    *urls_import.urlpatterns,  # catalogue and competitor-price import / export
    *urls_recs.urlpatterns,  # price recommendations review queue
]
