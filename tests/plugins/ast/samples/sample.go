package shop

import (
	"errors"
	"fmt"
)

type Item struct {
	Name  string
	Price int
}

func (i Item) String() string {
	return fmt.Sprintf("%s:%d", i.Name, i.Price)
}

func Total(items []Item) (int, error) {
	sum := 0
	for _, it := range items {
		if it.Price < 0 {
			return 0, errors.New("negative price")
		}
		sum += it.Price
	}
	switch {
	case sum > 1000 && len(items) > 1:
		sum -= 10
	case sum > 100:
		sum -= 1
	default:
	}
	return sum, nil
}
