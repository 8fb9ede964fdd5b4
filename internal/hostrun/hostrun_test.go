package hostrun

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// qemuAarch64 is what Linux shows for qemu-user-static's aarch64 handler.
const qemuAarch64 = `enabled
interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
flags: POF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
`

// fakeBinfmt points binfmtDir at a directory with qemu-user-static's
// aarch64 handler and a disabled riscv64 one.
func fakeBinfmt(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	old := binfmtDir
	binfmtDir = dir
	t.Cleanup(func() { binfmtDir = old })
	os.WriteFile(filepath.Join(dir, "status"), []byte("enabled\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "register"), nil, 0o200)
	os.WriteFile(filepath.Join(dir, "qemu-aarch64"), []byte(qemuAarch64), 0o644)
	os.WriteFile(filepath.Join(dir, "qemu-riscv64"), []byte(strings.Replace(strings.Replace(qemuAarch64, "b700", "f300", 1), "enabled", "disabled", 1)), 0o644)
}

func TestFind(t *testing.T) {
	old := binfmtDir
	binfmtDir = t.TempDir()
	if _, err := Find(ELFHeader("linux", "arm64"), "linux/arm64"); err == nil || !strings.Contains(err.Error(), "F flag") {
		t.Errorf("Find without binfmt_misc = %v, want the hint to register a handler", err)
	}
	binfmtDir = old
	fakeBinfmt(t)
	for _, tc := range []struct {
		goos, goarch string
		want         string // handler name, "" = none
	}{
		{"linux", "arm64", "qemu-aarch64"},
		{"linux", "amd64", ""},
		{"linux", "riscv64", ""}, // disabled
		{"linux", "s390x", ""},
	} {
		h, err := Find(ELFHeader(tc.goos, tc.goarch), tc.goos+"/"+tc.goarch)
		switch {
		case runtime.GOOS != "linux":
			if err == nil {
				t.Errorf("Find on %s = %v, want an error", runtime.GOOS, h)
			}
		case tc.want == "" && err == nil:
			t.Errorf("Find(%s/%s) = %v, want none", tc.goos, tc.goarch, h)
		case tc.want != "" && (err != nil || h.Name != tc.want || h.Flags != "POF" || !h.Fixed()):
			t.Errorf("Find(%s/%s) = %v, %v; want %s with flags POF", tc.goos, tc.goarch, h, err, tc.want)
		}
	}
	if ELFHeader("windows", "amd64") != nil || ELFHeader("linux", "wasm") != nil {
		t.Errorf("ELFHeader of a non-ELF or unknown target is not nil")
	}
}

func TestCheck(t *testing.T) {
	fakeBinfmt(t)
	if h, err := Check(runtime.GOOS, runtime.GOARCH); h != nil || err != nil {
		t.Errorf("Check(host) = %v, %v; want native", h, err)
	}
	other := "arm64"
	if runtime.GOARCH == "arm64" {
		other = "amd64"
	}
	for _, tc := range []struct {
		goos, goarch string
		want         string // handler name; "" = an error
	}{
		{"linux", other, map[string]string{"arm64": "qemu-aarch64", "amd64": ""}[other]},
		{"linux", "riscv64", ""},
		{"linux", "wasm", ""},
		{"windows", "amd64", ""},
	} {
		h, err := Check(tc.goos, tc.goarch)
		if runtime.GOOS != "linux" || tc.want == "" {
			if err == nil {
				t.Errorf("Check(%s, %s) = %v, want an error", tc.goos, tc.goarch, h)
			}
			continue
		}
		if err != nil || h == nil || h.Name != tc.want {
			t.Errorf("Check(%s, %s) = %v, %v; want %s", tc.goos, tc.goarch, h, err, tc.want)
		}
	}
}

// TestELFHeaderMatchesGo: the header ELFHeader makes is that of a real Go
// binary for the host.
func TestELFHeaderMatchesGo(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ELF binaries are Linux's")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	head, err := FileHead(exe)
	if err != nil {
		t.Fatal(err)
	}
	want := ELFHeader(runtime.GOOS, runtime.GOARCH)
	h := &Handler{magic: want, mask: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff}}
	if !h.matches(head) {
		t.Errorf("the test binary starts % x; ELFHeader gives % x", head[:20], want)
	}
}
