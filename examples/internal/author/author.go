// Package author gives each user of the chat examples a colour, kept in a
// cookie and checked strictly when it comes back: a value that is not
// such a colour (a forged one, a script) gets a new colour.
package author

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strconv"

	"github.com/workerman-go/workerman/protocols/http"
)

// CookieName is the cookie that holds the colour.
const CookieName = "author"

// colorPattern is the only form of colour accepted from a cookie.
var colorPattern = regexp.MustCompile(`^rgb\(([0-9]{1,3}),([0-9]{1,3}),([0-9]{1,3})\)$`)

// Color returns the user's colour, rgb(r,g,b), from the request's cookie.
// When there is none, or its value is not a colour, it makes a new one and
// sets the cookie on resp.
func Color(r *http.Request, resp *http.Response) string {
	if v, ok := r.Cookie(CookieName); ok {
		// The value is URL-encoded (as PHP's setcookie does): "(" and ","
		// may not appear in a cookie as they are.
		if color, err := url.QueryUnescape(v); err == nil && Valid(color) {
			return color
		}
	}
	color := fmt.Sprintf("rgb(%d,%d,%d)", rand.IntN(251), rand.IntN(251), rand.IntN(251))
	resp.SetCookie(http.Cookie{
		Name:     CookieName,
		Value:    url.QueryEscape(color),
		Path:     "/",
		MaxAge:   365 * 24 * 3600,
		SameSite: http.SameSiteLax,
		// Not HttpOnly: the page reads it to show the user's own colour.
	})
	return color
}

// Valid reports whether s is rgb(r,g,b) with each part from 0 to 255.
func Valid(s string) bool {
	m := colorPattern.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	for _, part := range m[1:] {
		if n, _ := strconv.Atoi(part); n > 255 {
			return false
		}
	}
	return true
}
