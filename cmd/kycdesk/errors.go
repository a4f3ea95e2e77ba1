package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"kycdesk/internal/apperr"
)

// fieldErrors turns validation errors into one line per flag for the terminal.
func fieldErrors(err error) error {
	fields := apperr.FieldsOf(err)
	if len(fields) == 0 {
		return err
	}
	lines := make([]string, 0, len(fields))
	for f, m := range fields {
		lines = append(lines, fmt.Sprintf("--%s: %s", f, m))
	}
	sort.Strings(lines)
	return errors.New(strings.Join(lines, "\n"))
}
