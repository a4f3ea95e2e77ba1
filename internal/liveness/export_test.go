package liveness

// CheckBody is checkBody for the tests of the whole app (package liveness_test).
var CheckBody = checkBody
