// A harness that compiles and renders a campaign the way listmonk does, with Go's standard library only.
//
// listmonk (models/campaigns.go, CompileTemplate) rewrites a few shorthands with regular expressions, parses
// the campaign template and the campaign body with html/template, puts the body's tree into the template as
// "content", and renders the result for each subscriber; the plain-text body is parsed with html/template too
// and the subject with text/template. The functions below are the ones listmonk registers that a course
// export uses (its own, and sprig's splitList). Reads a JSON list of campaigns on stdin and writes a JSON list of renders.
package main

import (
	"bytes"
	"encoding/json"
	"html/template"
	"os"
	"regexp"
	"strings"
	txttpl "text/template"
)

type Subscriber struct {
	UUID    string
	Email   string
	Name    string
	Attribs map[string]interface{}
}

// FirstName is listmonk's rule: the first space-separated part longer than two bytes, else the whole name.
func (s Subscriber) FirstName() string {
	for _, part := range strings.Split(s.Name, " ") {
		if len(part) > 2 {
			return part
		}
	}
	return s.Name
}

type Message struct {
	Subscriber Subscriber
	unsubURL   string
}

type Job struct {
	Layout         string                 `json:"layout"`
	Body           string                 `json:"body"`
	AltBody        string                 `json:"altbody"`
	Subject        string                 `json:"subject"`
	Name           string                 `json:"name"`
	Attribs        map[string]interface{} `json:"attribs"`
	Email          string                 `json:"email"`
	UnsubscribeURL string                 `json:"unsubscribe_url"`
}

type Result struct {
	HTML    string `json:"html"`
	Text    string `json:"text"`
	Subject string `json:"subject"`
	Error   string `json:"error,omitempty"`
}

var shorthands = []struct {
	pattern *regexp.Regexp
	replace string
}{
	{regexp.MustCompile(`{{\s*TrackLink\s+"([^"]+)"\s*}}`), `{{ TrackLink "$1" . }}`},
	{regexp.MustCompile(`(https?://[\p{L}\p{N}_\-\.~!#$&'()*+,/:;=?@\[\]%]*)@TrackLink`), `{{ TrackLink "$1" . }}`},
	{regexp.MustCompile(`{{(\s+)?(TrackView|UnsubscribeURL|ManageURL|OptinURL|MessageURL)(\s+)?}}`), `{{ $2 . }}`},
}

func expand(s string) string {
	for _, r := range shorthands {
		s = r.pattern.ReplaceAllString(s, r.replace)
	}
	return s
}

func hasExpression(s string) bool {
	_, after, ok := strings.Cut(s, "{{")
	return ok && strings.Contains(after, "}}")
}

func funcs() template.FuncMap {
	return template.FuncMap{
		"Safe":           func(s string) template.HTML { return template.HTML(s) },
		"UnsubscribeURL": func(m *Message) string { return m.unsubURL },
		"ManageURL":      func(m *Message) string { return m.unsubURL + "?manage=true" },
		"TrackLink":      func(url string, m *Message) string { return url },
		"TrackView":      func(m *Message) template.HTML { return template.HTML("") },
		"MessageURL":     func(m *Message) string { return "https://listmonk.example/message" },
		"OptinURL":       func(m *Message) string { return "https://listmonk.example/optin" },
		// listmonk also registers the sprig functions; this is sprig's splitList (strings.Split, sep first).
		"splitList": func(sep, orig string) []string { return strings.Split(orig, sep) },
	}
}

func render(job Job) (Result, error) {
	f := funcs()
	msg := &Message{Subscriber: Subscriber{UUID: "00000000-0000-0000-0000-000000000000", Email: job.Email, Name: job.Name, Attribs: job.Attribs}, unsubURL: job.UnsubscribeURL}
	base, err := template.New("base").Funcs(f).Parse(expand(job.Layout))
	if err != nil {
		return Result{}, err
	}
	content, err := template.New("content").Funcs(f).Parse(expand(job.Body))
	if err != nil {
		return Result{}, err
	}
	full, err := base.AddParseTree("content", content.Tree)
	if err != nil {
		return Result{}, err
	}
	var out Result
	var b bytes.Buffer
	if err := full.Execute(&b, msg); err != nil {
		return Result{}, err
	}
	out.HTML = b.String()
	out.Text = job.AltBody
	if hasExpression(job.AltBody) {
		alt, err := template.New("content").Funcs(f).Parse(expand(job.AltBody))
		if err != nil {
			return Result{}, err
		}
		b.Reset()
		if err := alt.Execute(&b, msg); err != nil {
			return Result{}, err
		}
		out.Text = b.String()
	}
	out.Subject = job.Subject
	if hasExpression(job.Subject) {
		subject, err := txttpl.New("content").Funcs(txttpl.FuncMap(f)).Parse(expand(job.Subject))
		if err != nil {
			return Result{}, err
		}
		b.Reset()
		if err := subject.Execute(&b, msg); err != nil {
			return Result{}, err
		}
		out.Subject = b.String()
	}
	return out, nil
}

func main() {
	var jobs []Job
	if err := json.NewDecoder(os.Stdin).Decode(&jobs); err != nil {
		panic(err)
	}
	results := make([]Result, len(jobs))
	for i, job := range jobs {
		result, err := render(job)
		if err != nil {
			result = Result{Error: err.Error()}
		}
		results[i] = result
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		panic(err)
	}
}
