package screen_test

import (
	"errors"
	"fmt"

	"github.com/latchauth/latch/screen"
)

func ExampleRules_CheckEmail() {
	rules := screen.Rules{
		Allow: []string{"@corp.example", "*.corp.example", "+44"},
		Block: []string{"intern@corp.example"},
	}
	for _, addr := range []string{"ada@corp.example", "ada@eu.corp.example", "ada@gmail.com", "INTERN@Corp.Example"} {
		var rej *screen.Rejection
		if err := rules.CheckEmail(addr); errors.As(err, &rej) {
			fmt.Println(addr, "refused:", rej.Code)
		} else {
			fmt.Println(addr, "ok")
		}
	}
	// Output:
	// ada@corp.example ok
	// ada@eu.corp.example ok
	// ada@gmail.com refused: identifier_not_allowed
	// INTERN@Corp.Example refused: identifier_blocked
}
