package matrix

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func hash(s string) v1.Hash {
	sum := sha256.Sum256([]byte(s))
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// builtMatrix is the issue example's four images with digests A..D.
func builtMatrix(t *testing.T, digests ...string) []Built {
	t.Helper()
	f, err := Parse("images.yaml", []byte(issueExample))
	if err != nil {
		t.Fatal(err)
	}
	images, err := f.Expand(testReleases())
	if err != nil {
		t.Fatal(err)
	}
	var out []Built
	for i, im := range images {
		out = append(out, Built{Image: im, Digest: hash(digests[i])})
	}
	return out
}

// describe renders a plan as one line per image: "push" or "have",
// the moved tags with where they came from, and the unchanged ones.
func describe(p *Plan, names map[v1.Hash]string) []string {
	var out []string
	for _, s := range p.Steps {
		verb := "have"
		if s.Push {
			verb = "push"
		}
		var moves []string
		for _, m := range s.Moves {
			from := "new"
			if !m.New() {
				from = names[m.From]
			}
			moves = append(moves, fmt.Sprintf("%s(%s->%s)", m.Tag, from, names[m.To]))
		}
		out = append(out, fmt.Sprintf("%s %s %s move[%s] keep[%s]", verb, &s.Image, names[s.Digest], strings.Join(moves, " "), strings.Join(s.Unchanged, " ")))
	}
	return out
}

func TestNewPlan(t *testing.T) {
	names := map[v1.Hash]string{}
	for _, n := range []string{"A", "B", "C", "D", "A2", "OLD"} {
		names[hash(n)] = n
	}
	// published is the registry after a complete run of A..D.
	published := map[string]string{
		"1.26.11": "A", "1.26": "A", "1": "A", "latest": "A",
		"1.26.11-bookworm": "B", "1.26-bookworm": "B", "1-bookworm": "B", "bookworm": "B",
		"1.25.14": "C", "1.25": "C", "1.25.14-bookworm": "D", "1.25-bookworm": "D",
	}
	with := func(changes map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range published {
			m[k] = v
		}
		for k, v := range changes {
			if v == "" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	for _, tc := range []struct {
		name     string
		digests  []string
		registry map[string]string
		want     []string
		pushes   int
		moves    int
	}{
		{"empty repository", []string{"A", "B", "C", "D"}, nil, []string{
			"push go1.26.11 A move[1.26.11(new->A) 1.26(new->A) 1(new->A) latest(new->A)] keep[]",
			"push go1.26.11 bookworm B move[1.26.11-bookworm(new->B) 1.26-bookworm(new->B) 1-bookworm(new->B) bookworm(new->B)] keep[]",
			"push go1.25.14 C move[1.25.14(new->C) 1.25(new->C)] keep[]",
			"push go1.25.14 bookworm D move[1.25.14-bookworm(new->D) 1.25-bookworm(new->D)] keep[]",
		}, 4, 12},
		{"nothing new", []string{"A", "B", "C", "D"}, published, []string{
			"have go1.26.11 A move[] keep[1.26.11 1.26 1 latest]",
			"have go1.26.11 bookworm B move[] keep[1.26.11-bookworm 1.26-bookworm 1-bookworm bookworm]",
			"have go1.25.14 C move[] keep[1.25.14 1.25]",
			"have go1.25.14 bookworm D move[] keep[1.25.14-bookworm 1.25-bookworm]",
		}, 0, 0},
		{"one image rebuilt differently", []string{"A2", "B", "C", "D"}, published, []string{
			"push go1.26.11 A2 move[1.26.11(A->A2) 1.26(A->A2) 1(A->A2) latest(A->A2)] keep[]",
			"have go1.26.11 bookworm B move[] keep[1.26.11-bookworm 1.26-bookworm 1-bookworm bookworm]",
			"have go1.25.14 C move[] keep[1.25.14 1.25]",
			"have go1.25.14 bookworm D move[] keep[1.25.14-bookworm 1.25-bookworm]",
		}, 1, 4},
		{"a fault left a tag behind", []string{"A", "B", "C", "D"}, with(map[string]string{"latest": "OLD", "1": ""}), []string{
			"have go1.26.11 A move[1(new->A) latest(OLD->A)] keep[1.26.11 1.26]",
			"have go1.26.11 bookworm B move[] keep[1.26.11-bookworm 1.26-bookworm 1-bookworm bookworm]",
			"have go1.25.14 C move[] keep[1.25.14 1.25]",
			"have go1.25.14 bookworm D move[] keep[1.25.14-bookworm 1.25-bookworm]",
		}, 0, 2},
		{"image present under a tag of another image", []string{"A", "B", "C", "B"}, published, []string{
			"have go1.26.11 A move[] keep[1.26.11 1.26 1 latest]",
			"have go1.26.11 bookworm B move[] keep[1.26.11-bookworm 1.26-bookworm 1-bookworm bookworm]",
			"have go1.25.14 C move[] keep[1.25.14 1.25]",
			"have go1.25.14 bookworm B move[1.25.14-bookworm(D->B) 1.25-bookworm(D->B)] keep[]",
		}, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asked := map[string]int{}
			current := func(tag string) (v1.Hash, bool, error) {
				asked[tag]++
				d, ok := tc.registry[tag]
				return hash(d), ok, nil
			}
			p, err := NewPlan(builtMatrix(t, tc.digests...), current)
			if err != nil {
				t.Fatalf("NewPlan: %v", err)
			}
			if got := describe(p, names); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("NewPlan =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if p.Pushes() != tc.pushes || p.Moves() != tc.moves || p.UpToDate() != (tc.pushes+tc.moves == 0) {
				t.Errorf("Pushes, Moves, UpToDate = %d, %d, %v; want %d, %d", p.Pushes(), p.Moves(), p.UpToDate(), tc.pushes, tc.moves)
			}
			for tag, n := range asked {
				if n != 1 {
					t.Errorf("tag %s was read %d times, want once", tag, n)
				}
			}
			if len(asked) != 12 {
				t.Errorf("NewPlan read %d tags, want all 12", len(asked))
			}
		})
	}
}

func TestNewPlanErrors(t *testing.T) {
	ok := func(string) (v1.Hash, bool, error) { return v1.Hash{}, false, nil }
	fail := errors.New("connection refused")
	for _, tc := range []struct {
		name    string
		built   func([]Built) []Built
		current Current
		want    string
	}{
		{"lookup fails", nil, func(tag string) (v1.Hash, bool, error) { return v1.Hash{}, false, fail }, `reading tag "1.26.11": connection refused`},
		{"no digest", func(b []Built) []Built { b[1].Digest = v1.Hash{}; return b }, ok, "planning go1.26.11 bookworm: no digest"},
		{"no tag", func(b []Built) []Built { b[2].Image.Tags = nil; return b }, ok, "planning go1.25.14: no tag"},
		{"tag twice", func(b []Built) []Built { b[2].Image.Tags = append(b[2].Image.Tags, "latest"); return b }, ok, "planning: tag latest belongs to both go1.26.11 and go1.25.14"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := builtMatrix(t, "A", "B", "C", "D")
			if tc.built != nil {
				b = tc.built(b)
			}
			p, err := NewPlan(b, tc.current)
			if err == nil || !errors.Is(err, fail) && tc.name == "lookup fails" || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewPlan = %v, %v; want error %q", p, err, tc.want)
			}
		})
	}
}

func TestAllTags(t *testing.T) {
	b := builtMatrix(t, "A", "B", "C", "D")
	var images []Image
	for _, x := range b {
		images = append(images, x.Image)
	}
	got := AllTags(append(images, images[0]))
	if len(got) != 12 || got[0] != "1.26.11" || got[11] != "1.25-bookworm" {
		t.Errorf("AllTags = %v, want the 12 tags once each in image order", got)
	}
}
