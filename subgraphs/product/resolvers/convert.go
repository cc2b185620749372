package resolvers

import (
	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/subgraphs/product/catalog"
	"github.com/virtual-store/virtual-store/subgraphs/product/model"
)

func images(in []*model.ImageInput) []catalog.Image {
	out := make([]catalog.Image, len(in))
	for i, img := range in {
		out[i] = catalog.Image{URL: img.URL, AltText: img.AltText}
	}
	return out
}

func attributes(in []*model.ProductAttributeInput) []catalog.Attribute {
	out := make([]catalog.Attribute, len(in))
	for i, a := range in {
		out[i] = catalog.Attribute{Name: a.Name, Value: a.Value}
	}
	return out
}

func prices(in []*money.Money) []money.Money {
	out := make([]money.Money, len(in))
	for i, p := range in {
		out[i] = *p
	}
	return out
}

func int64Ptr(n *int) *int64 {
	if n == nil {
		return nil
	}
	v := int64(*n)
	return &v
}
