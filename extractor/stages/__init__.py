"""The stages of ``extractor.pipeline.extract_document``, each testable alone:

ingest (``ingest``: the PDF as page grids, page errors noted on the result) → segment
(``extractor.layout.segment.segment``: records, stitched across pages) → map (``map``:
each record's cells to a schema record, labels by pattern or by the model) → assist
(``assist``: hybrid mode, the model's help where the patterns fell short) → check
(``check``: grounding and validation of each record) → status (``status``: the records
kept, the document's status and its errors).
"""
