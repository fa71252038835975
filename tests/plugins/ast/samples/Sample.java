package com.example.shop;

import java.util.List;
import java.util.Map;

public class Inventory {
    private final Map<String, Integer> stock;

    public Inventory(Map<String, Integer> stock) {
        this.stock = stock;
    }

    public int count(String sku) {
        Integer n = stock.get(sku);
        return n == null ? 0 : n;
    }

    public boolean reserve(List<String> skus) {
        for (String sku : skus) {
            if (count(sku) <= 0 || sku.isEmpty()) {
                return false;
            }
        }
        try {
            skus.forEach(s -> stock.merge(s, -1, Integer::sum));
        } catch (IllegalStateException e) {
            return false;
        }
        return true;
    }

    interface Listener {
        void changed(String sku);
    }
}
