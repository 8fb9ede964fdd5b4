package hostrun

import (
	"bytes"
	"encoding/binary"
	"os"
)

// elfMachines gives, per Linux GOARCH, the ELF class, byte order and
// machine of its executables.
var elfMachines = map[string]struct {
	class   byte // 1 = 32-bit, 2 = 64-bit
	big     bool
	machine uint16
}{
	"386": {1, false, 3}, "amd64": {2, false, 62}, "arm": {1, false, 40}, "arm64": {2, false, 183},
	"loong64": {2, false, 258}, "mips": {1, true, 8}, "mipsle": {1, false, 8}, "mips64": {2, true, 8},
	"mips64le": {2, false, 8}, "ppc64": {2, true, 21}, "ppc64le": {2, false, 21}, "riscv64": {2, false, 243},
	"s390x": {2, true, 22},
}

// ELFHeader returns the first bytes of a Linux executable for goarch, as
// the go command writes them, or nil for another OS or an unknown
// architecture.
func ELFHeader(goos, goarch string) []byte {
	m, ok := elfMachines[goarch]
	if goos != "linux" || !ok {
		return nil
	}
	h := make([]byte, 20)
	copy(h, "\x7fELF")
	h[4], h[5], h[6] = m.class, 1, 1
	var order binary.ByteOrder = binary.LittleEndian
	if m.big {
		h[5], order = 2, binary.BigEndian
	}
	order.PutUint16(h[16:], 2) // ET_EXEC
	order.PutUint16(h[18:], m.machine)
	return h
}

// FileHead reads the first 128 bytes of a file, enough for Find.
func FileHead(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, 128)
	n, _ := f.Read(b)
	return bytes.Clone(b[:n]), nil
}
