package main

import "os"

// osGetenv is the only place the program reads its environment.
var osGetenv = os.Getenv
