package cases

// EncodeCursor is the queue's keyset cursor, for tests that start a page after a given case.
var EncodeCursor = encodeCursor

// KeepsPlan reports whether f's view is sent to keep its plan (see Planned).
func KeepsPlan(f Filter) bool { return f.keepsPlan() }
