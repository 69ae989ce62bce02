"""Reports: typed report data (builders/) printed to PDF from HTML templates (render.py)."""
