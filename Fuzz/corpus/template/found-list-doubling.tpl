{{ $s := list 1 }}{{ range 40 }}{{ $s = list $s $s }}{{ end }}{{ toJson $s }}
