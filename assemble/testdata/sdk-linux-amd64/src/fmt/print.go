package fmt

func Println(a ...any) {}
