package prune

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// ELF constants used by the stripper.
const (
	shtSymtab = 2
	shtRela   = 4
	shtRel    = 9
	shfAlloc  = 0x2
	shfInfo   = 0x40 // SHF_INFO_LINK
	ptLoad    = 1
)

// errNotStrippable means the file is left as it is: not a 64-bit ELF, no
// symbol table, or a layout the stripper does not rewrite.
var errNotStrippable = errors.New("not strippable")

// section is an ELF64 section header.
type section struct {
	Name      uint32
	Type      uint32
	Flags     uint64
	Addr      uint64
	Offset    uint64
	Size      uint64
	Link      uint32
	Info      uint32
	Addralign uint64
	Entsize   uint64
}

// stripELF returns the content of a 64-bit ELF file without its symbol
// table (.symtab) and that table's string table, the way "strip
// --strip-all" treats a Go binary that has no DWARF. Everything the
// program loads (every PT_LOAD segment, the build ID notes) keeps its
// bytes and offsets; only non-allocated sections that come after the last
// segment are moved, and the section header table is rewritten without the
// dropped entries. It returns errNotStrippable for anything else.
func stripELF(data []byte) ([]byte, error) {
	p, err := planStrip(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	return p.apply(data), nil
}

// stripPlan is what stripping a file changes, worked out from its ELF,
// program and section headers alone, so that the stripped size is known
// without reading or writing the whole file (Resolve sizes, Apply strips).
type stripPlan struct {
	bo                     binary.ByteOrder
	segEnd                 uint64 // the end of the loaded image in the file
	shoff, shnum, shstrndx uint64
	secs                   []section
	drop                   []bool
	movers                 []int // kept sections after segEnd, in file order
	shtInPlace             bool
}

// planStrip reads the headers of the ELF file r of the given size and
// returns the plan, or errNotStrippable.
func planStrip(r io.ReaderAt, size int64) (*stripPlan, error) {
	hdr := make([]byte, 64)
	if size < 64 {
		return nil, errNotStrippable
	}
	if _, err := r.ReadAt(hdr, 0); err != nil {
		return nil, errNotStrippable
	}
	if !bytes.Equal(hdr[:4], []byte("\x7fELF")) || hdr[4] != 2 {
		return nil, errNotStrippable
	}
	p := &stripPlan{}
	switch hdr[5] {
	case 1:
		p.bo = binary.LittleEndian
	case 2:
		p.bo = binary.BigEndian
	default:
		return nil, errNotStrippable
	}
	bo := p.bo
	phoff, shoff := bo.Uint64(hdr[32:]), bo.Uint64(hdr[40:])
	phentsize, phnum := uint64(bo.Uint16(hdr[54:])), uint64(bo.Uint16(hdr[56:]))
	shentsize, shnum, shstrndx := uint64(bo.Uint16(hdr[58:])), uint64(bo.Uint16(hdr[60:])), uint64(bo.Uint16(hdr[62:]))
	if shentsize != 64 || shnum == 0 || shstrndx >= shnum || shoff+shnum*64 > uint64(size) ||
		phentsize != 56 || phoff+phnum*56 > uint64(size) {
		return nil, errNotStrippable
	}
	p.shoff, p.shnum, p.shstrndx = shoff, shnum, shstrndx
	phdrs := make([]byte, phnum*56)
	if _, err := r.ReadAt(phdrs, int64(phoff)); err != nil {
		return nil, errNotStrippable
	}
	for i := uint64(0); i < phnum; i++ {
		ph := phdrs[i*56:]
		if bo.Uint32(ph) != ptLoad {
			continue
		}
		p.segEnd = max(p.segEnd, bo.Uint64(ph[8:])+bo.Uint64(ph[32:]))
	}
	if p.segEnd > uint64(size) {
		return nil, errNotStrippable
	}
	shdrs := make([]byte, shnum*64)
	if _, err := r.ReadAt(shdrs, int64(shoff)); err != nil {
		return nil, errNotStrippable
	}
	p.secs = make([]section, shnum)
	for i := range p.secs {
		if err := binary.Read(bytes.NewReader(shdrs[uint64(i)*64:]), bo, &p.secs[i]); err != nil {
			return nil, errNotStrippable
		}
	}
	if err := p.choose(uint64(size)); err != nil {
		return nil, err
	}
	return p, nil
}

// choose picks the sections to drop and to move, and checks that nothing
// else lives after the segments.
func (p *stripPlan) choose(size uint64) error {
	secs, shnum, segEnd := p.secs, p.shnum, p.segEnd
	drop := make([]bool, shnum)
	found := false
	for i, s := range secs {
		if s.Type == shtSymtab && s.Flags&shfAlloc == 0 {
			drop[i], found = true, true
			if l := uint64(s.Link); l != 0 && l < shnum && l != p.shstrndx && secs[l].Flags&shfAlloc == 0 {
				drop[l] = true
			}
		}
	}
	if !found {
		return errNotStrippable
	}
	// No kept section may refer to a dropped one.
	for i, s := range secs {
		if drop[i] {
			if s.Offset < segEnd {
				return errNotStrippable
			}
			continue
		}
		if s.Link != 0 && drop[s.Link] || (s.Type == shtRel || s.Type == shtRela || s.Flags&shfInfo != 0) && s.Info < uint32(shnum) && drop[s.Info] {
			return errNotStrippable
		}
	}
	// Kept non-allocated sections after the segments move down, in file order.
	const noBits = 8
	var movers []int
	for i, s := range secs {
		if !drop[i] && i != 0 && s.Type != noBits && s.Offset >= segEnd && s.Size > 0 {
			movers = append(movers, i)
		}
	}
	slices.SortFunc(movers, func(a, b int) int { return int(secs[a].Offset) - int(secs[b].Offset) })
	p.shtInPlace = p.shoff+shnum*64 <= segEnd
	// Nothing else may live after segEnd: every byte there must belong to a
	// section we know about or to the section header table.
	var covered uint64
	for i, s := range secs {
		if s.Type != noBits && s.Offset >= segEnd && i != 0 {
			covered += s.Size
		}
	}
	if !p.shtInPlace {
		covered += shnum * 64
	}
	if tail := size - segEnd; covered > tail {
		return errNotStrippable
	}
	p.drop, p.movers = drop, movers
	return nil
}

// size is the length of the stripped file, as apply lays it out.
func (p *stripPlan) size() int64 {
	n := p.segEnd
	for _, i := range p.movers {
		if a := p.secs[i].Addralign; a > 1 && n%a != 0 {
			n += a - n%a
		}
		n += p.secs[i].Size
	}
	if !p.shtInPlace {
		n = (n + 7) &^ 7
		kept := uint64(0)
		for _, d := range p.drop {
			if !d {
				kept++
			}
		}
		n += kept * 64
	}
	return int64(n)
}

// apply returns data stripped by the plan.
func (p *stripPlan) apply(data []byte) []byte {
	bo, shnum, shoff := p.bo, p.shnum, p.shoff
	secs := slices.Clone(p.secs)
	out := bytes.NewBuffer(make([]byte, 0, p.segEnd+1024))
	out.Write(data[:p.segEnd])
	for _, i := range p.movers {
		s := &secs[i]
		if a := s.Addralign; a > 1 {
			for uint64(out.Len())%a != 0 {
				out.WriteByte(0)
			}
		}
		off := uint64(out.Len())
		out.Write(data[s.Offset : s.Offset+s.Size])
		s.Offset = off
	}
	// Renumber the kept sections.
	newIndex := make([]uint32, shnum)
	var kept []section
	for i, s := range secs {
		if !p.drop[i] {
			newIndex[i] = uint32(len(kept))
			kept = append(kept, s)
		}
	}
	for i := range kept {
		s := &kept[i]
		if s.Link != 0 && s.Link < uint32(shnum) {
			s.Link = newIndex[s.Link]
		}
		if (s.Type == shtRel || s.Type == shtRela || s.Flags&shfInfo != 0) && s.Info < uint32(shnum) {
			s.Info = newIndex[s.Info]
		}
	}
	var sht bytes.Buffer
	for _, s := range kept {
		binary.Write(&sht, bo, s)
	}
	res := out.Bytes()
	newShoff := shoff
	if p.shtInPlace {
		copy(res[shoff:], sht.Bytes())
		clear(res[shoff+uint64(sht.Len()) : shoff+shnum*64])
	} else {
		for len(res)%8 != 0 {
			res = append(res, 0)
		}
		newShoff = uint64(len(res))
		res = append(res, sht.Bytes()...)
	}
	bo.PutUint64(res[40:], newShoff)
	bo.PutUint16(res[60:], uint16(len(kept)))
	bo.PutUint16(res[62:], uint16(newIndex[p.shstrndx]))
	return res
}

// stripper is a planned strip of one binary format: the stripped size,
// known from the headers, and the stripping itself.
type stripper interface {
	size() int64
	apply(data []byte) []byte
}

// planFile plans the strip of the file r of the given size by its magic
// number: 64-bit ELF (stripPlan) or PE (peStripPlan). It returns
// errNotStrippable for anything else.
func planFile(r io.ReaderAt, size int64) (stripper, error) {
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return nil, errNotStrippable
	}
	switch {
	case string(magic[:]) == "\x7fELF":
		return planStrip(r, size)
	case string(magic[:2]) == "MZ":
		return planStripPE(r, size)
	}
	return nil, errNotStrippable
}

// planPath plans the strip of the file at abs from its headers alone.
func planPath(abs string) (stripper, error) {
	f, err := os.Open(abs)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return planFile(f, fi.Size())
}

// strippedSize returns the size of the stripped form of the file at abs, or
// -1 when stripping leaves it as it is. It reads only the headers: the
// stripping itself is Apply's, done once.
func strippedSize(abs string) (int64, error) {
	p, err := planPath(abs)
	if errors.Is(err, errNotStrippable) {
		return -1, nil
	}
	if err != nil {
		return -1, fmt.Errorf("stripping %s: %w", abs, err)
	}
	return p.size(), nil
}

// stripFile reads abs and returns its stripped content, or nil when the
// file is not strippable.
func stripFile(abs string) ([]byte, error) {
	p, err := planPath(abs)
	if errors.Is(err, errNotStrippable) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stripping %s: %w", abs, err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	return p.apply(data), nil
}
