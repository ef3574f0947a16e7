// Package util mirrors the ignore-list API the lifecycle calls in kaniko.
package util

type IgnoreListEntry struct {
	Path            string
	PrefixMatchOnly bool
}

var ignoreList []IgnoreListEntry

func AddToDefaultIgnoreList(entry IgnoreListEntry) {
	ignoreList = append(ignoreList, entry)
}
