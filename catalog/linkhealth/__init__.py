"""Link health: the guarded fetcher that visits offer links (`fetcher`) and the recording
of what it found on the offers and their price history (`recording`), and the sharing of
checks between background workers (`scheduling`)."""
