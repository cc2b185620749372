package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"maps"
	"os"
	"slices"
)

// compression is the PNG encoder's (tests take a faster one).
var compression = png.BestCompression

// writePNG writes img to path as a paletted PNG and returns its size. A
// preview is mostly flat colours: a palette of them, with a few blends for
// anti-aliased edges, keeps it sharp at a fraction of the size. Over
// budget bytes, the blends go down to one level (edges a little rougher).
func writePNG(path string, img *image.RGBA, budget int) (int, error) {
	var out []byte
	for _, levels := range [][]float64{{0.25, 0.5, 0.75}, {0.5}} {
		var buf bytes.Buffer
		enc := png.Encoder{CompressionLevel: compression}
		if err := enc.Encode(&buf, quantize(img, previewPalette(levels))); err != nil {
			return 0, err
		}
		if out = buf.Bytes(); len(out) <= budget {
			break
		}
	}
	return len(out), os.WriteFile(path, out, 0o644)
}

// quantize maps an opaque image onto pal, each colour onto the nearest.
func quantize(img *image.RGBA, pal color.Palette) *image.Paletted {
	b := img.Bounds()
	out := image.NewPaletted(b, pal)
	index := map[uint32]uint8{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			p := img.Pix[img.PixOffset(x, y):]
			k := uint32(p[0])<<16 | uint32(p[1])<<8 | uint32(p[2])
			i, ok := index[k]
			if !ok {
				i = uint8(pal.Index(color.RGBA{R: p[0], G: p[1], B: p[2], A: 0xFF}))
				index[k] = i
			}
			out.Pix[out.PixOffset(x, y)] = i
		}
	}
	return out
}

// previewPalette is every colour a preview draws, and each of the inks
// blended into the two backgrounds (white panels, the grey page) at a few
// levels for anti-aliased edges, and at the fill's opacity.
func previewPalette(levels []float64) color.Palette {
	inks := []color.Color{textColor, muted, border, gridColor, errColor}
	inks = append(inks, palette...)
	for _, name := range slices.Sorted(maps.Keys(namedColors)) {
		inks = append(inks, namedColors[name])
	}
	seen := map[color.RGBA]bool{}
	var pal color.Palette
	add := func(c color.RGBA) {
		if !seen[c] && len(pal) < 256 {
			seen[c] = true
			pal = append(pal, c)
		}
	}
	add(toRGBA(panelBG))
	add(pageBG)
	for _, ink := range inks {
		add(toRGBA(ink))
	}
	for _, ink := range inks {
		for _, bg := range []color.Color{panelBG, pageBG} {
			for _, a := range levels {
				add(blend(ink, bg, a))
			}
		}
		add(blend(ink, panelBG, fillAlpha/255.0))
	}
	return pal
}

func toRGBA(c color.Color) color.RGBA {
	r, g, b, _ := c.RGBA()
	return color.RGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0xFF}
}

// blend is ink at opacity a over bg.
func blend(ink, bg color.Color, a float64) color.RGBA {
	i, b := toRGBA(ink), toRGBA(bg)
	mix := func(x, y uint8) uint8 { return uint8(float64(x)*a + float64(y)*(1-a) + 0.5) }
	return color.RGBA{R: mix(i.R, b.R), G: mix(i.G, b.G), B: mix(i.B, b.B), A: 0xFF}
}
