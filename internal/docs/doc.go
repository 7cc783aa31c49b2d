// Package docs holds the tests that keep the repository's Markdown true:
// every Go snippet of README.md and docs/ is the body of a compiled,
// tested Example function, and docs/ARCHITECTURE.md shows the package
// graph as the code has it. It has no code of its own.
package docs
