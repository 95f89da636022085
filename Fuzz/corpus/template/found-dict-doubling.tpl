{{ $d := dict "a" 1 }}{{ range 40 }}{{ $d = dict "a" $d "b" $d }}{{ end }}{{ $d }}
