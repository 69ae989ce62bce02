"""SPC studies: control charts and capability on measured data, saved as quality records."""
