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
	if len(data) < 64 || !bytes.Equal(data[:4], []byte("\x7fELF")) || data[4] != 2 {
		return nil, errNotStrippable
	}
	var bo binary.ByteOrder
	switch data[5] {
	case 1:
		bo = binary.LittleEndian
	case 2:
		bo = binary.BigEndian
	default:
		return nil, errNotStrippable
	}
	phoff, shoff := bo.Uint64(data[32:]), bo.Uint64(data[40:])
	phentsize, phnum := uint64(bo.Uint16(data[54:])), uint64(bo.Uint16(data[56:]))
	shentsize, shnum, shstrndx := uint64(bo.Uint16(data[58:])), uint64(bo.Uint16(data[60:])), uint64(bo.Uint16(data[62:]))
	if shentsize != 64 || shnum == 0 || shstrndx >= shnum || shoff+shnum*64 > uint64(len(data)) ||
		phentsize != 56 || phoff+phnum*56 > uint64(len(data)) {
		return nil, errNotStrippable
	}
	// The end of the loaded image in the file.
	var segEnd uint64
	for i := uint64(0); i < phnum; i++ {
		ph := data[phoff+i*56:]
		if bo.Uint32(ph) != ptLoad {
			continue
		}
		segEnd = max(segEnd, bo.Uint64(ph[8:])+bo.Uint64(ph[32:]))
	}
	secs := make([]section, shnum)
	for i := range secs {
		if err := binary.Read(bytes.NewReader(data[shoff+uint64(i)*64:]), bo, &secs[i]); err != nil {
			return nil, errNotStrippable
		}
	}
	drop := make([]bool, shnum)
	found := false
	for i, s := range secs {
		if s.Type == shtSymtab && s.Flags&shfAlloc == 0 {
			drop[i], found = true, true
			if l := uint64(s.Link); l != 0 && l < shnum && l != shstrndx && secs[l].Flags&shfAlloc == 0 {
				drop[l] = true
			}
		}
	}
	if !found {
		return nil, errNotStrippable
	}
	// No kept section may refer to a dropped one.
	for i, s := range secs {
		if drop[i] {
			if s.Offset < segEnd {
				return nil, errNotStrippable
			}
			continue
		}
		if s.Link != 0 && drop[s.Link] || (s.Type == shtRel || s.Type == shtRela || s.Flags&shfInfo != 0) && s.Info < uint32(shnum) && drop[s.Info] {
			return nil, errNotStrippable
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
	shtInPlace := shoff+shnum*64 <= segEnd
	// Nothing else may live after segEnd: every byte there must belong to a
	// section we know about or to the section header table.
	var covered uint64
	for i, s := range secs {
		if s.Type != noBits && s.Offset >= segEnd && i != 0 {
			covered += s.Size
		}
	}
	if !shtInPlace {
		covered += shnum * 64
	}
	if tail := uint64(len(data)) - segEnd; covered > tail {
		return nil, errNotStrippable
	}
	out := bytes.NewBuffer(make([]byte, 0, segEnd+1024))
	out.Write(data[:segEnd])
	for _, i := range movers {
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
		if !drop[i] {
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
	if shtInPlace {
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
	bo.PutUint16(res[62:], uint16(newIndex[shstrndx]))
	return res, nil
}

// strippedSize returns the size of the stripped form of the file at abs, or
// -1 when stripping leaves it as it is.
func strippedSize(abs string) (int64, error) {
	b, err := stripFile(abs)
	if err != nil || b == nil {
		return -1, err
	}
	return int64(len(b)), nil
}

// stripFile reads abs and returns its stripped content, or nil when the
// file is not strippable.
func stripFile(abs string) ([]byte, error) {
	f, err := os.Open(abs)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || string(magic[:]) != "\x7fELF" {
		return nil, nil
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	out, err := stripELF(data)
	if errors.Is(err, errNotStrippable) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stripping %s: %w", abs, err)
	}
	return out, nil
}
