"""Tracing a spun text to its sources: word-shingle fingerprints that survive synonym
swaps (`fingerprint`), the on-disk reference index that ranks candidate sources
(`index.Index`, also `unspin.Index`), and the sentence alignment of a match (`align`)."""
