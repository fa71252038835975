import { readFile } from "fs";
import path from "node:path";

export class Cart {
  constructor(items) {
    this.items = items || [];
  }

  total(discount) {
    let sum = 0;
    for (const item of this.items) {
      if (item.price > 0 && !item.free) {
        sum += item.price;
      }
    }
    return discount ? sum * (1 - discount) : sum;
  }
}

function classify(n) {
  switch (n) {
    case 0:
      return "zero";
    case 1:
      return "one";
    default:
      return "many";
  }
}

const double = (x) => x * 2;
