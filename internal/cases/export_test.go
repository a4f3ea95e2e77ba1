package cases

// EncodeCursor is the queue's keyset cursor, for tests that start a page after a given case.
var EncodeCursor = encodeCursor
