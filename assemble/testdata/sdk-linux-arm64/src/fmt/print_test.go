package fmt

import "testing"

func TestX(t *testing.T) {}
