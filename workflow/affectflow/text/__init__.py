"""The text branch: transcripts (given or ASR), their alignment on the session grid, text
encoders and lexicons, sentence-level text corpora and transformer fine-tuning with LLRD."""
