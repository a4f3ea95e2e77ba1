package checks

// HoldCalls is holdCalls, for the tests outside the package.
var HoldCalls = holdCalls

// WriteCallsNow is writeCallsNow, for the tests outside the package.
var WriteCallsNow = writeCallsNow
