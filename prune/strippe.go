package prune

import (
	"bytes"
	"encoding/binary"
	"io"
)

// PE offsets used by the stripper: the COFF file header follows the
// "PE\0\0" signature, the optional header follows the file header.
const (
	peSigSize       = 4
	peFileHdrSize   = 20
	peSectHdrSize   = 40
	peSymbolSize    = 18
	peMagic32       = 0x10b
	peMagic64       = 0x20b
	peDirSecurity   = 4
	peMaxStrtabRead = 1 << 16
)

// peStripPlan is what stripping a PE file changes, worked out from its
// headers: the COFF symbol table goes, the string table keeps only the
// long section names, and the last section (.symtab, which Go's linker
// makes to cover both tables) shrinks to hold that string table alone.
// That is the file Go's linker writes for the same program with -s
// (TestStripPE links both and compares them byte for byte).
type peStripPlan struct {
	symoff     uint32 // PointerToSymbolTable: where .symtab's raw data starts
	strtab     []byte // the string table that stays, its length field included
	fileAlign  uint32
	sectAlign  uint32
	fileHdr    int64 // offset of the COFF file header
	optHdr     int64 // offset of the optional header
	lastSect   int64 // offset of .symtab's section header
	sectVA     uint32
	newRawSize uint32
}

// planStripPE reads the headers of the PE file r of the given size and
// returns the plan, or errNotStrippable for anything but an unsigned,
// checksum-free image whose last section is Go's .symtab holding the
// symbol and string tables and ending the file.
func planStripPE(r io.ReaderAt, size int64) (*peStripPlan, error) {
	le := binary.LittleEndian
	read := func(off int64, n int) ([]byte, bool) {
		if off < 0 || n < 0 || off+int64(n) > size {
			return nil, false
		}
		b := make([]byte, n)
		_, err := r.ReadAt(b, off)
		return b, err == nil
	}
	dos, ok := read(0, 64)
	if !ok || dos[0] != 'M' || dos[1] != 'Z' {
		return nil, errNotStrippable
	}
	peoff := int64(le.Uint32(dos[60:]))
	hdr, ok := read(peoff, peSigSize+peFileHdrSize)
	if !ok || !bytes.Equal(hdr[:4], []byte("PE\x00\x00")) {
		return nil, errNotStrippable
	}
	p := &peStripPlan{fileHdr: peoff + peSigSize, optHdr: peoff + peSigSize + peFileHdrSize}
	fh := hdr[peSigSize:]
	nsect := int64(le.Uint16(fh[2:]))
	p.symoff = le.Uint32(fh[8:])
	nsyms := le.Uint32(fh[12:])
	optSize := int64(le.Uint16(fh[16:]))
	if nsect == 0 || p.symoff == 0 || nsyms == 0 {
		return nil, errNotStrippable
	}
	opt, ok := read(p.optHdr, int(optSize))
	if !ok || len(opt) < 96 {
		return nil, errNotStrippable
	}
	dirs := 0
	switch le.Uint16(opt) {
	case peMagic32:
		dirs = 96
	case peMagic64:
		dirs = 112
	default:
		return nil, errNotStrippable
	}
	p.sectAlign, p.fileAlign = le.Uint32(opt[32:]), le.Uint32(opt[36:])
	if p.fileAlign == 0 || p.sectAlign == 0 || le.Uint32(opt[64:]) != 0 {
		return nil, errNotStrippable // a checksum would have to be recomputed
	}
	if ndirs := int(le.Uint32(opt[dirs-4:])); ndirs > peDirSecurity && len(opt) >= dirs+8*(peDirSecurity+1) {
		if le.Uint32(opt[dirs+8*peDirSecurity+4:]) != 0 {
			return nil, errNotStrippable // signed: the signature would break
		}
	}
	sects, ok := read(p.optHdr+optSize, int(nsect*peSectHdrSize))
	if !ok {
		return nil, errNotStrippable
	}
	last := sects[(nsect-1)*peSectHdrSize:]
	rawSize, rawPtr := le.Uint32(last[16:]), le.Uint32(last[20:])
	if string(bytes.TrimRight(last[:8], "\x00")) != ".symtab" || rawPtr != p.symoff ||
		int64(rawPtr)+int64(rawSize) != size {
		return nil, errNotStrippable
	}
	for i := int64(0); i < nsect-1; i++ {
		s := sects[i*peSectHdrSize:]
		if le.Uint32(s[20:])+le.Uint32(s[16:]) > p.symoff {
			return nil, errNotStrippable
		}
	}
	p.lastSect, p.sectVA = p.optHdr+optSize+(nsect-1)*peSectHdrSize, le.Uint32(last[12:])
	if err := p.planStrtab(read, sects, nsyms, le.Uint32(last[8:]), size); err != nil {
		return nil, err
	}
	return p, nil
}

// planStrtab works out the string table that stays. It follows the
// symbols; section names longer than eight bytes ("/4") point into it, and
// Go's linker adds them before any symbol name, so they stay as a prefix
// of it. symtabVSize is .symtab's virtual size, both tables together.
func (p *peStripPlan) planStrtab(read func(int64, int) ([]byte, bool), sects []byte, nsyms, symtabVSize uint32, size int64) error {
	strOff := int64(p.symoff) + int64(nsyms)*peSymbolSize
	lenField, ok := read(strOff, 4)
	if !ok {
		return errNotStrippable
	}
	strLen := int64(binary.LittleEndian.Uint32(lenField))
	if strLen < 4 || strOff+strLen > size || int64(symtabVSize) != int64(nsyms)*peSymbolSize+strLen {
		return errNotStrippable
	}
	keep := int64(4)
	for i := 0; i+peSectHdrSize <= len(sects); i += peSectHdrSize {
		name := sects[i : i+8]
		if name[0] != '/' {
			continue
		}
		n, ok := peNameOffset(name)
		if !ok || n < 4 || n >= strLen {
			return errNotStrippable
		}
		s, ok := read(strOff+n, int(min(strLen-n, peMaxStrtabRead)))
		end := bytes.IndexByte(s, 0)
		if !ok || end < 0 {
			return errNotStrippable
		}
		keep = max(keep, n+int64(end)+1)
	}
	p.strtab, ok = read(strOff, int(keep))
	if !ok {
		return errNotStrippable
	}
	binary.LittleEndian.PutUint32(p.strtab, uint32(keep))
	p.newRawSize = alignUp(uint32(keep), p.fileAlign)
	return nil
}

// peNameOffset decodes a long section name, "/" and a decimal offset
// into the string table.
func peNameOffset(name []byte) (int64, bool) {
	digits := bytes.TrimRight(name[1:], "\x00")
	if len(digits) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func alignUp(n, a uint32) uint32 { return (n + a - 1) / a * a }

// size is the length of the stripped file.
func (p *peStripPlan) size() int64 { return int64(p.symoff) + int64(p.newRawSize) }

// apply returns data stripped by the plan.
func (p *peStripPlan) apply(data []byte) []byte {
	le := binary.LittleEndian
	out := make([]byte, p.size())
	copy(out, data[:p.symoff])
	copy(out[p.symoff:], p.strtab)
	le.PutUint32(out[p.fileHdr+12:], 0) // NumberOfSymbols
	vsize := uint32(len(p.strtab))
	le.PutUint32(out[p.lastSect+8:], vsize)
	le.PutUint32(out[p.lastSect+16:], p.newRawSize)
	le.PutUint32(out[p.optHdr+56:], alignUp(p.sectVA+vsize, p.sectAlign)) // SizeOfImage
	return out
}
