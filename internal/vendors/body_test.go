package vendors

import (
	"errors"
	"strings"
	"testing"
)

func TestReadBodyRefusesWhatIsOverItsLimitInPlainWords(t *testing.T) {
	for _, tc := range []struct {
		limit int64
		want  string
	}{
		{4 << 20, "larger than 4 MB"},
		{512 << 10, "larger than 512 KB"},
		{1500, "larger than 1500 bytes"},
	} {
		_, err := ReadBody(OOTO, strings.NewReader(strings.Repeat("x", int(tc.limit)+1)), tc.limit)
		var ve *Error
		if !errors.As(err, &ve) || ve.Kind != Transient || !strings.Contains(ve.Message, tc.want) {
			t.Errorf("limit %d: %v", tc.limit, err)
		}
		if b, err := ReadBody(OOTO, strings.NewReader(strings.Repeat("x", int(tc.limit))), tc.limit); err != nil || int64(len(b)) != tc.limit {
			t.Errorf("limit %d: a body of exactly the limit refused: %v", tc.limit, err)
		}
	}
}
