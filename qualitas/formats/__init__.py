"""Our own formats per language (FORMAT_MODULE_PATH): Django's, with ISO 8601 first for
what forms write into date fields. A browser's `<input type="date">` reads only
`2026-12-06`; given the British `06/12/2026` it shows an empty field, and saving the form
then loses the date (issue 13, defect 1). People still see and may type dates their way.
"""
