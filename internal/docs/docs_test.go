package docs

import (
	"bytes"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const root = "../.."

// markdownFiles are the documents whose Go snippets must compile.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	files := []string{filepath.Join(root, "README.md")}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append(files, more...)
}

// goSnippets returns the ```go blocks of a Markdown file.
func goSnippets(md string) []string {
	var out []string
	var cur []string
	in := false
	for line := range strings.Lines(md) {
		trimmed := strings.TrimSpace(line)
		switch {
		case !in && trimmed == "```go":
			in, cur = true, nil
		case in && trimmed == "```":
			in = false
			out = append(out, strings.Join(cur, ""))
		case in:
			cur = append(cur, line)
		}
	}
	return out
}

// codeLines returns the non-empty lines of src, trimmed, with runs of
// spaces and tabs made one space (gofmt aligns comments by the lines
// around them). For a whole program it keeps only the body of func main.
func codeLines(src string) []string {
	lines := strings.Split(src, "\n")
	if i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "func main() {") }); i >= 0 {
		lines = lines[i+1:]
		if j := slices.Index(lines, "}"); j >= 0 {
			lines = lines[:j]
		}
	}
	var out []string
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// exampleBodies returns the bodies of every Example function of the
// repository's tests, as trimmed lines, by function name.
func exampleBodies(t *testing.T) map[string][]string {
	t.Helper()
	bodies := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Example") || fn.Body == nil {
				continue
			}
			start, end := fset.Position(fn.Body.Lbrace).Offset, fset.Position(fn.Body.Rbrace).Offset
			name := filepath.Dir(path) + "." + fn.Name.Name
			bodies[name] = codeLines(string(src[start+1 : end]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return bodies
}

// Every Go snippet of the Markdown documents is (part of) the body of an
// Example function, so it compiles, and runs where the Example has an
// Output. A snippet that is a whole program must match the body of its
// func main.
func TestMarkdownSnippetsAreExamples(t *testing.T) {
	bodies := exampleBodies(t)
	if len(bodies) == 0 {
		t.Fatal("no Example function found")
	}
	for _, file := range markdownFiles(t) {
		md, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, snippet := range goSnippets(string(md)) {
			want := codeLines(snippet)
			found := ""
			for name, body := range bodies {
				if containsRun(body, want) {
					found = name
					break
				}
			}
			if found == "" {
				t.Errorf("%s, Go snippet %d (%q...) is not the body of any Example function: make it one, so it compiles",
					filepath.Base(file), i+1, firstLine(want))
			}
		}
	}
}

// containsRun reports whether want appears in body as consecutive lines.
func containsRun(body, want []string) bool {
	if len(want) == 0 {
		return true
	}
	for i := 0; i+len(want) <= len(body); i++ {
		if slices.Equal(body[i:i+len(want)], want) {
			return true
		}
	}
	return false
}

func firstLine(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return lines[0]
}

// The package graph in docs/ARCHITECTURE.md is the one the code has:
// the block after the line "<!-- package graph -->" is what packageGraph
// prints.
func TestArchitectureShowsThePackageGraph(t *testing.T) {
	md, err := os.ReadFile(filepath.Join(root, "docs", "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	const marker = "<!-- package graph -->\n```\n"
	_, rest, ok := bytes.Cut(md, []byte(marker))
	if !ok {
		t.Fatalf("docs/ARCHITECTURE.md has no %q block", strings.TrimSpace(marker))
	}
	got, _, _ := bytes.Cut(rest, []byte("```"))
	want := packageGraph(t)
	if string(got) != want {
		t.Errorf("docs/ARCHITECTURE.md shows an old package graph; replace the block with:\n%s", want)
	}
}

// packageGraph lists the framework's packages (not examples, not tests)
// with the packages of the module each one imports, as `go list -f
// '{{.ImportPath}}: {{.Imports}}'` would, shortened.
func packageGraph(t *testing.T) string {
	t.Helper()
	const module = "github.com/workerman-go/workerman/"
	var lines []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules" ||
			rel == "bench" || rel == "examples" || strings.HasPrefix(rel, "internal"+string(filepath.Separator)+"docs")) {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(path, 0)
		if err != nil {
			return nil // no Go package here
		}
		var deps []string
		for _, imp := range pkg.Imports {
			if rest, ok := strings.CutPrefix(imp, module); ok {
				deps = append(deps, rest)
			}
		}
		line := filepath.ToSlash(rel)
		if len(deps) > 0 {
			line += " -> " + strings.Join(deps, ", ")
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}
