package main

import (
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Layout, in px. Text widths are estimated (textWidth) with the widths of
// DejaVu Sans, wider than the fonts GitHub's viewers usually have, so that
// nothing is cut off where the estimate is short.
const (
	margin     = 20.0
	barArea    = 400.0 // the longest bar of a panel
	barHeight  = 13.0
	barStep    = 18.0 // from one bar to the next
	nameGap    = 8.0  // between a server's name and its bar
	valueGap   = 5.0  // between a bar and its value
	minWidth   = 640.0
	titleSize  = 16.0
	labelSize  = 13.0
	smallSize  = 12.0
	sourceSize = 11.0
)

const fontFamily = `-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif`

// Colours: ours always the same, each anchor its own; text colours that
// read on the white background the chart always has (GitHub's dark theme
// shows it as a white card).
const (
	textColour  = "#1f2328"
	mutedColour = "#59636e"
	ruleColour  = "#d1d9e0"
)

var classColours = map[serverClass]string{
	classOurs:      "#d9480f", // orange
	classStd:       "#6e7781", // grey
	classGnet:      "#1c7ed6", // blue
	classGorilla:   "#2b8a3e", // green
	classWorkerman: "#7048e8", // violet
}

// otherColours are for servers of no known class, picked by a hash of the
// label so that a server keeps its colour from chart to chart.
var otherColours = []string{"#c2255c", "#0c8599", "#e67700", "#5c940d", "#862e9c", "#364fc7"}

var classLegend = map[serverClass]string{
	classOurs:      "workerman-go (ours)",
	classStd:       "Go standard library (net/http, net): a goroutine per connection",
	classGnet:      "gnet v2, minimal server: the event-loop engine's ceiling",
	classGorilla:   "gorilla/websocket on net/http: a goroutine per connection",
	classWorkerman: "Workerman (PHP)",
}

func colour(b bar) string {
	if c, ok := classColours[b.class]; ok {
		return c
	}
	h := fnv.New32a()
	h.Write([]byte(b.server))
	return otherColours[h.Sum32()%uint32(len(otherColours))]
}

// legendEntry is one swatch of the legend.
type legendEntry struct{ colour, text string }

func legend(c *chart) []legendEntry {
	var out []legendEntry
	seen := map[string]bool{}
	for class := classOurs; class <= classOther; class++ {
		for _, p := range c.panels {
			for _, g := range p.groups {
				for _, b := range g.bars {
					if b.class != class {
						continue
					}
					text := classLegend[class]
					if class == classOther {
						text = b.server
					}
					if !seen[text] {
						seen[text] = true
						out = append(out, legendEntry{colour(b), text})
					}
				}
			}
		}
	}
	return out
}

// valueText is a bar's figure as written at its end.
func valueText(b bar) string {
	switch b.state {
	case cellFailed:
		return "failed"
	case cellNotMeasured:
		return "not measured"
	}
	return formatValue(b.value, b.decimals)
}

// formatValue writes v with decimals digits after the point and its
// integer part grouped in threes when it has five digits or more.
func formatValue(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac := s, ""
	if dot := strings.IndexByte(s, '.'); dot >= 0 {
		intPart, frac = s[:dot], s[dot:]
	}
	if len(intPart) < 5 {
		return sign + s
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	b.WriteString(frac)
	return b.String()
}

// svgWriter accumulates the elements of a chart.
type svgWriter struct {
	b strings.Builder
}

func (w *svgWriter) printf(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

// text writes a text element; attrs are extra attributes (already
// escaped), s is escaped here.
func (w *svgWriter) text(x, y float64, size float64, attrs, s string) {
	w.printf(`<text x="%s" y="%s" font-size="%s"%s>%s</text>`+"\n", num(x), num(y), num(size), attrs, esc(s))
}

// num writes a coordinate with at most one decimal.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// esc escapes s for XML text and attribute values.
func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		default:
			// Characters XML 1.0 does not allow become U+FFFD.
			if r == utf8.RuneError || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF {
				r = '\uFFFD'
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// renderSVG draws c as a horizontal grouped bar chart: a group per
// measurement (its label and results file above it), a bar per server
// with its name on the left and its figure at the end, one scale per
// panel.
func renderSVG(c *chart) []byte {
	bars := 0
	nameW, valueW := 0.0, 0.0
	wide := textWidth(c.spec.title, titleSize)*1.06 + 2*margin
	for _, p := range c.panels {
		wide = math.Max(wide, textWidth(p.title, labelSize)*1.06+2*margin)
		for _, g := range p.groups {
			wide = math.Max(wide, groupLabelWidth(g)+2*margin)
			for _, b := range g.bars {
				bars++
				nameW = math.Max(nameW, textWidth(shortName(b.server, b.class), smallSize))
				valueW = math.Max(valueW, textWidth(valueText(b), smallSize))
			}
		}
	}
	x0 := margin + nameW + nameGap
	width := math.Ceil(math.Max(math.Max(minWidth, wide), x0+barArea+valueGap+valueW+margin))

	var body svgWriter
	y := margin + titleSize
	body.text(margin, y, titleSize, ` font-weight="bold" fill="`+textColour+`"`, c.spec.title)
	y += 20
	body.text(margin, y, smallSize, ` fill="`+mutedColour+`"`, capitalize(c.spec.better)+". Medians over the rounds of a run of bench/cmd/compare.")
	if c.spec.note != "" {
		for _, line := range wrap(c.spec.note, width-2*margin, smallSize) {
			y += 16
			body.text(margin, y, smallSize, ` fill="`+mutedColour+`"`, line)
		}
	}

	// Legend, wrapped to the width.
	y += 12
	x := margin
	lineY := y + 14
	for _, e := range legend(c) {
		w := 16 + textWidth(e.text, smallSize) + 18
		if x > margin && x+w > width-margin {
			x = margin
			lineY += 18
		}
		body.printf(`<rect x="%s" y="%s" width="12" height="12" rx="2" fill="%s"/>`+"\n", num(x), num(lineY-10), e.colour)
		body.text(x+16, lineY, smallSize, ` fill="`+textColour+`"`, e.text)
		x += w
	}
	y = lineY + 8

	for _, p := range c.panels {
		scaleMax := 0.0
		for _, g := range p.groups {
			for _, b := range g.bars {
				if b.state == cellValue {
					scaleMax = math.Max(scaleMax, b.value)
				}
			}
		}
		if p.title != "" {
			y += 28
			body.text(margin, y, labelSize+1, ` font-weight="bold" fill="`+textColour+`"`, p.title)
			y += 4
		}
		for _, g := range p.groups {
			y += 22
			body.printf(`<text x="%s" y="%s" font-size="%s" fill="%s">%s <tspan font-size="%s" fill="%s">· %s</tspan></text>`+"\n",
				num(margin), num(y), num(labelSize), textColour, esc(g.label), num(sourceSize), mutedColour, esc(g.source))
			y += 7
			top := y
			for _, b := range g.bars {
				mid := y + barHeight/2
				body.text(x0-nameGap, mid+4, smallSize, ` text-anchor="end" fill="`+textColour+`"`, shortName(b.server, b.class))
				tip := fmt.Sprintf("%s: %s (%s, line %d)", b.server, valueText(b), g.source, b.line)
				if b.state != cellValue {
					body.printf(`<text x="%s" y="%s" font-size="%s" font-style="italic" fill="%s"><title>%s</title>%s</text>`+"\n",
						num(x0+valueGap), num(mid+4), num(smallSize), mutedColour, esc(tip), esc(valueText(b)))
					y += barStep
					continue
				}
				l := 0.0
				if scaleMax > 0 && b.value > 0 {
					l = math.Max(1.5, b.value/scaleMax*barArea)
				}
				body.printf(`<rect x="%s" y="%s" width="%s" height="%s" rx="2" fill="%s"><title>%s</title></rect>`+"\n",
					num(x0), num(y), num(l), num(barHeight), colour(b), esc(tip))
				body.text(x0+l+valueGap, mid+4, smallSize, ` fill="`+textColour+`"`, valueText(b))
				y += barStep
			}
			body.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`+"\n", num(x0), num(top-2), num(x0), num(y-barStep+barHeight+2), ruleColour)
			y -= barStep - barHeight
		}
	}

	// Caption: where the figures come from, wrapped to the width.
	y += 14
	files := make([]string, len(c.sources))
	for i, s := range c.sources {
		files[i] = "bench/results/" + s
	}
	caption := "Figures from " + strings.Join(files, ", ") + " (newest run of each kind; regenerate with make charts)."
	for _, line := range wrap(caption, width-2*margin, sourceSize) {
		y += 15
		body.text(margin, y, sourceSize, ` fill="`+mutedColour+`"`, line)
	}
	height := math.Ceil(y + margin)

	var w svgWriter
	w.printf(`<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-labelledby="title desc" font-family="%s">`+"\n",
		num(width), num(height), num(width), num(height), fontFamily)
	w.printf(`<title id="title">%s, %s</title>`+"\n", esc(c.spec.title), esc(c.spec.better))
	w.printf(`<desc id="desc">%s</desc>`+"\n", esc(fmt.Sprintf("%d bars. %s", bars, caption)))
	w.printf(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	w.b.WriteString(body.b.String())
	w.printf("</svg>\n")
	return []byte(w.b.String())
}

func groupLabelWidth(g group) float64 {
	return textWidth(g.label+" ", labelSize) + textWidth("· "+g.source, sourceSize)
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToUpper(string(r)) + s[n:]
}

// wrap breaks s into lines at spaces so that each fits in width (a word
// longer than width is a line of its own).
func wrap(s string, width, size float64) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		next := word
		if cur != "" {
			next = cur + " " + word
		}
		if cur != "" && textWidth(next, size) > width {
			lines = append(lines, cur)
			next = word
		}
		cur = next
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// textWidth estimates the width of s at a font size, from the advance
// widths of DejaVu Sans (in em): wider than Helvetica, Arial or Segoe UI,
// so an estimate that fits is safe.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		w += runeWidth(r)
	}
	return w * size
}

func runeWidth(r rune) float64 {
	switch {
	case r == ' ' || r == '.' || r == ',' || r == ':' || r == ';' || r == '\'' || r == '!' || r == '|' || r == '·':
		return 0.32
	case r == 'i' || r == 'j' || r == 'l' || r == 'I' || r == 'J':
		return 0.3
	case r == 'f' || r == 't' || r == 'r' || r == '(' || r == ')' || r == '[' || r == ']' || r == '/' || r == '-':
		return 0.42
	case r == 'm' || r == 'w' || r == 'M' || r == 'W' || r == '%' || r == '—' || r == '@':
		return 1.0
	case r >= 'A' && r <= 'Z':
		return 0.78
	case r >= '0' && r <= '9':
		return 0.64
	case r < 0x80:
		return 0.64
	}
	return 0.85 // µ, ×, ÷, →, “ ” and the rest: generous
}
