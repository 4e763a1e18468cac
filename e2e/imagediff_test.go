package e2e

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// imageDiff is how a screenshot differs from its golden image.
type imageDiff struct {
	// Differing counts the pixels where a channel differs by more than
	// the tolerance.
	Differing int
	// Total is the number of pixels compared.
	Total int
	// Image shows the golden image faded, with the differing pixels in
	// magenta; nil when no pixel differs.
	Image *image.RGBA
}

// Fraction is the share of the pixels that differ, 0 to 1.
func (d imageDiff) Fraction() float64 {
	if d.Total == 0 {
		return 0
	}
	return float64(d.Differing) / float64(d.Total)
}

// compareImages compares got with want pixel by pixel: a pixel differs
// when one of its channels (red, green, blue or alpha, 8 bits each,
// premultiplied, which for an opaque screenshot is the same) is
// more than tolerance away. Anti-aliasing and hinting move channels a
// little; a change of layout, colour or text moves them a lot. Images of
// different sizes cannot be compared: the error says both sizes. The diff
// image is made only when a pixel differs.
func compareImages(want, got image.Image, tolerance uint8) (imageDiff, error) {
	wb, gb := want.Bounds(), got.Bounds()
	if wb.Dx() != gb.Dx() || wb.Dy() != gb.Dy() {
		return imageDiff{}, fmt.Errorf("the size changed from %dx%d to %dx%d", wb.Dx(), wb.Dy(), gb.Dx(), gb.Dy())
	}
	// On the bytes of one layout: a screenshot is a million pixels, too
	// many to compare through image.Image's At.
	w, g := toRGBA(want), toRGBA(got)
	d := imageDiff{Total: wb.Dx() * wb.Dy()}
	if bytes.Equal(w.Pix, g.Pix) {
		return d, nil
	}
	differs := func(i int) bool {
		return far(w.Pix[i], g.Pix[i], tolerance) || far(w.Pix[i+1], g.Pix[i+1], tolerance) ||
			far(w.Pix[i+2], g.Pix[i+2], tolerance) || far(w.Pix[i+3], g.Pix[i+3], tolerance)
	}
	for i := 0; i < len(w.Pix); i += 4 {
		if differs(i) {
			d.Differing++
		}
	}
	if d.Differing == 0 {
		return d, nil
	}
	d.Image = image.NewRGBA(w.Rect)
	for i := 0; i < len(w.Pix); i += 4 {
		if differs(i) {
			copy(d.Image.Pix[i:i+4], []byte{255, 0, 255, 255})
			continue
		}
		// The unchanged pixel, faded towards white so that the magenta
		// stands out.
		grey := uint8((uint32(w.Pix[i])*299 + uint32(w.Pix[i+1])*587 + uint32(w.Pix[i+2])*114) / 1000)
		faded := 255 - (255-grey)/4
		copy(d.Image.Pix[i:i+4], []byte{faded, faded, faded, 255})
	}
	return d, nil
}

// toRGBA is img as 8-bit RGBA at the origin (what image/png decodes an
// opaque screenshot to), itself when it is already that.
func toRGBA(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok && r.Rect.Min == (image.Point{}) && r.Stride == 4*r.Rect.Dx() {
		return r
	}
	b := img.Bounds()
	r := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(r, r.Rect, img, b.Min, draw.Src)
	return r
}

// far says whether a and b are more than tolerance apart.
func far(a, b, tolerance uint8) bool {
	if a > b {
		return a-b > tolerance
	}
	return b-a > tolerance
}

// readPNG decodes the PNG file at path.
func readPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return png.Decode(f)
}

// writePNG encodes img as a PNG file at path, compressed as much as the
// standard library can, since golden images are committed.
func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, img); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// testImage is a small test image: a white square of side n with a black
// block, like a line of text, at (x, 4).
func testImage(n, x int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := 4; y < 8; y++ {
		for dx := 0; dx < 10; dx++ {
			img.SetNRGBA(x+dx, y, color.NRGBA{A: 255})
		}
	}
	return img
}

// TestCompareImagesIdentical: an image equals itself, with no pixel
// differing, whatever the tolerance.
func TestCompareImagesIdentical(t *testing.T) {
	d, err := compareImages(testImage(40, 4), testImage(40, 4), 0)
	if err != nil || d.Differing != 0 || d.Total != 1600 || d.Fraction() != 0 {
		t.Fatalf("identical images: %+v %v", d, err)
	}
}

// TestCompareImagesNoiseWithinTolerance: channels moved by a little
// everywhere, as anti-aliasing on another run might, differ by nothing
// beyond the tolerance.
func TestCompareImagesNoiseWithinTolerance(t *testing.T) {
	noisy := testImage(40, 4)
	for i := range noisy.Pix {
		if i%4 == 3 {
			continue // alpha stays opaque
		}
		if noisy.Pix[i] > 128 {
			noisy.Pix[i] -= uint8(i % 20)
		} else {
			noisy.Pix[i] += uint8(i % 20)
		}
	}
	d, err := compareImages(testImage(40, 4), noisy, 24)
	if err != nil || d.Differing != 0 {
		t.Fatalf("noise within the tolerance: %d pixels differ (%v)", d.Differing, err)
	}
	if d, _ := compareImages(testImage(40, 4), noisy, 4); d.Differing == 0 {
		t.Fatal("with a tolerance below the noise, no pixel differs")
	}
}

// TestCompareImagesRealChange: the block moved sideways, as text does
// when a layout changes, differs beyond the tolerance in the pixels it
// left and the ones it covers, which the diff image shows in magenta.
func TestCompareImagesRealChange(t *testing.T) {
	d, err := compareImages(testImage(40, 4), testImage(40, 20), 24)
	if err != nil {
		t.Fatal(err)
	}
	if d.Differing != 80 { // 2 blocks of 10×4 that do not overlap
		t.Fatalf("%d pixels differ, want 80", d.Differing)
	}
	if got := d.Image.RGBAAt(25, 5); got != (color.RGBA{R: 255, B: 255, A: 255}) {
		t.Errorf("a differing pixel shows as %v, want magenta", got)
	}
	if got := d.Image.RGBAAt(2, 30); got.R != got.G || got.R < 200 {
		t.Errorf("an unchanged white pixel shows as %v, want a light grey", got)
	}
}

// TestCompareImagesSizeMismatch: images of different sizes are not
// compared, and the error says both sizes.
func TestCompareImagesSizeMismatch(t *testing.T) {
	_, err := compareImages(testImage(40, 4), testImage(41, 4), 24)
	if err == nil || err.Error() != "the size changed from 40x40 to 41x41" {
		t.Fatalf("different sizes: %v", err)
	}
}

// TestPNGRoundTrip: what writePNG writes, readPNG reads back unchanged.
func TestPNGRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "page.png")
	if err := writePNG(path, testImage(40, 4)); err != nil {
		t.Fatal(err)
	}
	img, err := readPNG(path)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := compareImages(testImage(40, 4), img, 0); err != nil || d.Differing != 0 {
		t.Fatalf("after a round trip: %+v %v", d, err)
	}
}
