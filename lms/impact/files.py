"""Which file each kind of impact export is, and how it is made."""

from . import exports, report_pdf
from .report_pdf import ReportInfo

# "csv" opens in Excel as Belgians have it; "plain.csv" is for tools (commas, no BOM).
FILE_KINDS = ("csv", "plain.csv", "xlsx", "pdf")
CSV = "text/csv; charset=utf-8"


def as_file(
    figures: dict, area_labels: dict[str, str], info: ReportInfo, kind: str, stem: str
) -> tuple[bytes, str, str]:
    """(content, content type, file name) of the figures as a CSV, XLSX or PDF file."""
    if kind == "csv":
        return exports.as_csv(figures, area_labels), CSV, f"{stem}-excel.csv"
    if kind == "plain.csv":
        return exports.as_plain_csv(figures, area_labels), CSV, f"{stem}-utf8-comma.csv"
    if kind == "xlsx":
        return exports.as_xlsx(figures, area_labels, info.label), exports.XLSX, f"{stem}.xlsx"
    if kind == "pdf":
        return report_pdf.as_pdf(figures, area_labels, info), "application/pdf", f"{stem}.pdf"
    raise ValueError(kind)
