"""Faces in video: detection backends, face selection across frames, alignment, and the
per-session detection cache that every face-embedding extractor reads (see ``cache``)."""
