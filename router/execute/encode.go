package execute

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends resp as JSON to buf. It writes the data tree itself:
// encoding/json would re-validate and compact the output of every nested
// Object's MarshalJSON, which costs time quadratic in the nesting depth.
func AppendJSON(buf []byte, resp *Response) ([]byte, error) {
	buf = append(buf, `{"data":`...)
	buf = appendValue(buf, resp.Data)
	if len(resp.Errors) > 0 {
		errs, err := json.Marshal(resp.Errors)
		if err != nil {
			return nil, err
		}
		buf = append(buf, `,"errors":`...)
		buf = append(buf, errs...)
	}
	return append(buf, '}'), nil
}

// EncodedSize is about the size of resp as AppendJSON writes it: exact for
// data already written as JSON, with room for a few errors.
func EncodedSize(resp *Response) int {
	n := 64 + 256*len(resp.Errors)
	if d, ok := resp.Data.(RawJSON); ok {
		n += len(d)
	}
	return n
}

func appendValue(buf []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(buf, "null"...)
	case RawJSON:
		if v == nil {
			return append(buf, "null"...)
		}
		return append(buf, v...)
	case *Object:
		if v == nil {
			return append(buf, "null"...)
		}
		buf = append(buf, '{')
		for i, k := range v.keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, k)
			buf = append(buf, ':')
			buf = appendValue(buf, v.vals[i])
		}
		return append(buf, '}')
	case map[string]any:
		// Keys sorted, as encoding/json writes maps: the output is a stable
		// key for deduplication as well as valid JSON.
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		buf = append(buf, '{')
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, k)
			buf = append(buf, ':')
			buf = appendValue(buf, v[k])
		}
		return append(buf, '}')
	case []any:
		buf = append(buf, '[')
		for i, e := range v {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendValue(buf, e)
		}
		return append(buf, ']')
	case string:
		return appendString(buf, v)
	case json.Number:
		return append(buf, v...)
	case bool:
		return strconv.AppendBool(buf, v)
	case float64:
		return strconv.AppendFloat(buf, v, 'g', -1, 64)
	case int:
		return strconv.AppendInt(buf, int64(v), 10)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return append(buf, "null"...)
	}
	return append(buf, b...)
}

const hex = "0123456789abcdef"

// appendString writes s as a JSON string (escaping what JSON requires, and
// <, >, & like encoding/json does, so responses are safe inside HTML).
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
