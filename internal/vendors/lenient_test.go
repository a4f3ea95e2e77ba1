package vendors

import (
	"encoding/json"
	"testing"
	"time"
)

// TestTimeReadsEveryShapeVendorsSend: Artemis sends ISO strings on some endpoints and serialized
// Java Dates on others, in the shapes Spring's Jackson and Java write them.
func TestTimeReadsEveryShapeVendorsSend(t *testing.T) {
	want := time.Date(2023, 11, 7, 5, 31, 56, 0, time.UTC)
	for _, in := range []string{
		`"2023-11-07T05:31:56Z"`, `"2023-11-07T13:31:56+08:00"`, `"2023-11-07T05:31:56.000+00:00"`,
		`"2023-11-07T05:31:56.000+0000"`, `"2023-11-07T05:31:56+0000"`, `"Tue Nov 07 05:31:56 UTC 2023"`,
		`1699335116000`, `"1699335116000"`, `{"time": 1699335116000}`,
	} {
		var got Time
		if err := json.Unmarshal([]byte(in), &got); err != nil || !got.Valid || !got.Time.Equal(want) {
			t.Errorf("%s: %v (valid %v), want %v", in, got.Time, got.Valid, want)
		}
	}
	for _, in := range []string{`"soon"`, `"12"`, `null`, `""`} {
		var got Time
		if json.Unmarshal([]byte(in), &got); got.Valid {
			t.Errorf("%s read as %v", in, got.Time)
		}
	}
}
