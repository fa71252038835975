import { Injectable } from "@angular/core";
import * as fs from "fs";

interface Shape {
  area(): number;
}

export class Circle implements Shape {
  constructor(private radius: number) {}

  area(): number {
    if (this.radius < 0) {
      throw new Error("negative");
    }
    return Math.PI * this.radius ** 2;
  }
}

export function largest(shapes: Shape[]): Shape | undefined {
  let best: Shape | undefined;
  for (const s of shapes) {
    if (!best || s.area() > best.area()) {
      best = s;
    }
  }
  return best ?? undefined;
}
