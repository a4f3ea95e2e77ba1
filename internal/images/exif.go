package images

import (
	"bytes"
	"encoding/binary"

	"github.com/rwcarlsen/goexif/exif"
)

// Limits on the EXIF block handed to goexif.
const (
	// maxEXIFBytes bounds a PNG eXIf chunk; a JPEG APP1 segment cannot
	// exceed 64 KB anyway.
	maxEXIFBytes = 256 << 10
	// maxIFDs bounds how many directories a valid EXIF block may hold
	// (IFD0, IFD1, Exif, GPS, Interop, and a few spares).
	maxIFDs = 16
)

// jpegOrientation returns the EXIF orientation of a JPEG, or 1 when it has
// none or it cannot be read: a photo with broken metadata is still a photo.
func jpegOrientation(data []byte) int {
	tiff := jpegEXIF(data)
	if tiff == nil {
		return 1
	}
	return tiffOrientation(tiff)
}

// pngOrientation returns the orientation from a PNG's eXIf chunk, which
// browsers honour like a JPEG's, or 1.
func pngOrientation(data []byte) int {
	tiff := pngEXIF(data)
	if tiff == nil {
		return 1
	}
	return tiffOrientation(tiff)
}

// jpegEXIF returns the TIFF payload of the first "Exif" APP1 segment before
// the first scan. Walking the segments, rather than searching for FF E1 as
// goexif does, avoids mistaking bytes inside another segment for EXIF.
func jpegEXIF(data []byte) []byte {
	var tiff []byte
	walkJPEG(data, func(m byte, seg []byte) bool {
		if m == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			tiff = seg[6:]
			return false
		}
		return true
	})
	return tiff
}

// jpegProgressive reports whether the JPEG's frame is progressive (SOF2):
// Go's decoder then keeps every DCT coefficient of the image while it
// decodes, several times the decoded image's size.
func jpegProgressive(data []byte) bool {
	progressive := false
	walkJPEG(data, func(m byte, _ []byte) bool {
		if m == 0xC2 {
			progressive = true
			return false
		}
		return true
	})
	return progressive
}

// walkJPEG calls visit with each segment's marker and payload up to the first
// scan, until visit returns false or the data ends or is malformed.
func walkJPEG(data []byte, visit func(marker byte, seg []byte) bool) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return
	}
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return
		}
		m := data[i+1]
		switch {
		case m == 0xFF: // fill byte before a marker
			i++
			continue
		case m == 0xDA || m == 0xD9: // start of scan, end of image
			return
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // markers without a length
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return
		}
		if !visit(m, data[i+4:i+2+n]) {
			return
		}
		i += 2 + n
	}
}

// pngEXIF returns the content of the eXIf chunk that precedes the image
// data, or nil.
func pngEXIF(data []byte) []byte {
	const sigLen = 8
	i := sigLen
	for i+8 <= len(data) {
		n := int64(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		end := int64(i) + 8 + n + 4
		if end > int64(len(data)) {
			return nil
		}
		switch typ {
		case "IDAT", "IEND":
			return nil
		case "eXIf":
			if n > maxEXIFBytes {
				return nil
			}
			chunk := data[i+8 : i+8+int(n)]
			// Some writers keep the JPEG-style "Exif\0\0" prefix.
			return bytes.TrimPrefix(chunk, []byte("Exif\x00\x00"))
		}
		i = int(end)
	}
	return nil
}

// tiffOrientation reads tag 0x0112 with goexif once safeTIFF has vouched
// that goexif will neither loop nor allocate beyond the block's size.
func tiffOrientation(tiff []byte) (orientation int) {
	if !safeTIFF(tiff) {
		return 1
	}
	defer func() {
		// goexif is not hardened against hostile input; a broken EXIF block
		// must cost the orientation, never the upload.
		if recover() != nil {
			orientation = 1
		}
	}()
	// goexif returns a usable *Exif alongside errors about sub-directories
	// (GPS, Interop) we do not need, so only a nil result means no EXIF.
	x, _ := exif.Decode(bytes.NewReader(tiff))
	if x == nil {
		return 1
	}
	tag, err := x.Get(exif.Orientation)
	if err != nil || tag.Count < 1 {
		return 1
	}
	v, err := tag.Int(0)
	if err != nil || v < 1 || v > 8 {
		return 1
	}
	return v
}

// tiffTypeSize is the byte size of each TIFF field type goexif knows; other
// types make goexif fail cleanly.
var tiffTypeSize = map[uint16]uint64{
	1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8,
}

// EXIF tags that point at sub-directories goexif follows.
var tiffPointerTags = map[uint16]bool{0x8769: true, 0x8825: true, 0xA005: true}

// safeTIFF checks the structure goexif is about to parse. goexif trusts
// counts (a count of 0x40000001 LONGs overflows its 32-bit size check and
// makes it allocate gigabytes for a value it read as 4 bytes) and only
// detects an IFD chain pointing at itself, not a longer cycle, which makes
// it loop forever. safeTIFF accepts a block only if every directory goexif
// will visit is in bounds, visited once, and every value fits in the block.
func safeTIFF(t []byte) bool {
	if len(t) < 8 || len(t) > maxEXIFBytes {
		return false
	}
	var bo binary.ByteOrder
	switch {
	case bytes.HasPrefix(t, []byte("II*\x00")):
		bo = binary.LittleEndian
	case bytes.HasPrefix(t, []byte("MM\x00*")):
		bo = binary.BigEndian
	default:
		return false
	}

	seen := map[uint32]bool{}
	var sub []uint32
	next := bo.Uint32(t[4:])
	// The IFD chain goexif follows from IFD0.
	for next != 0 {
		ptrs, after, ok := checkIFD(t, bo, next, seen)
		if !ok {
			return false
		}
		sub = append(sub, ptrs...)
		next = after
	}
	// Sub-directories are read as single directories; their "next" field
	// is read but not followed.
	for len(sub) > 0 {
		off := sub[0]
		sub = sub[1:]
		if seen[off] {
			continue
		}
		ptrs, _, ok := checkIFD(t, bo, off, seen)
		if !ok {
			return false
		}
		sub = append(sub, ptrs...)
	}
	return true
}

// checkIFD validates the directory at off and returns the sub-directory
// offsets it points at and the offset of the next directory in its chain.
func checkIFD(t []byte, bo binary.ByteOrder, off uint32, seen map[uint32]bool) (ptrs []uint32, next uint32, ok bool) {
	if seen[off] || len(seen) >= maxIFDs {
		return nil, 0, false
	}
	seen[off] = true
	size := uint64(len(t))
	if uint64(off)+2 > size {
		return nil, 0, false
	}
	n := bo.Uint16(t[off:])
	// goexif reads the count as int16: a "negative" count would make it
	// read the next-directory offset from where we did not check.
	if n >= 0x8000 {
		return nil, 0, false
	}
	end := uint64(off) + 2 + 12*uint64(n) + 4
	if end > size {
		return nil, 0, false
	}
	for k := range uint64(n) {
		e := t[uint64(off)+2+12*k:]
		tag, typ, count := bo.Uint16(e), bo.Uint16(e[2:]), bo.Uint32(e[4:])
		ts, known := tiffTypeSize[typ]
		if !known {
			continue // goexif rejects the block without allocating
		}
		vlen := ts * uint64(count)
		if vlen > 4 && uint64(bo.Uint32(e[8:]))+vlen > size {
			return nil, 0, false
		}
		if tiffPointerTags[tag] {
			// Only the plain forms, so that the offset goexif follows is
			// the one checked here.
			switch {
			case typ == 4 && count == 1:
				ptrs = append(ptrs, bo.Uint32(e[8:]))
			case typ == 3 && count == 1:
				ptrs = append(ptrs, uint32(bo.Uint16(e[8:])))
			default:
				return nil, 0, false
			}
		}
	}
	return ptrs, bo.Uint32(t[end-4:]), true
}
