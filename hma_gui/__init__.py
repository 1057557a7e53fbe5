"""HMA Ingest: files to S3 by convention, duplicates found first, MBA CSVs into MySQL."""

__version__ = "0.1.0"
APP_NAME = "HMA Ingest"
APP_ID = "hma-ingest"
