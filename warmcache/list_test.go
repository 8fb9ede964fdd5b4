package warmcache

import (
	"slices"
	"strings"
	"testing"
)

func TestParseList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Variant
		err  string
	}{
		{"std", []Variant{Std}, ""},
		{"race,std", []Variant{Std, Race}, ""},
		{"std, tools ,std", []Variant{Std, Tools}, ""},
		{"std,race,tools", []Variant{Std, Race, Tools}, ""},
		{"", nil, `item "": want a comma-separated list of std, vet, race, tools`},
		{"std,cmd", nil, `item "cmd": want a comma-separated list of std, vet, race, tools`},
		{"STD", nil, `"STD"`},
	} {
		got, err := ParseList(tc.in)
		switch {
		case tc.err == "" && (err != nil || !slices.Equal(got, tc.want)):
			t.Errorf("ParseList(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseList(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.err)
		}
	}
}
