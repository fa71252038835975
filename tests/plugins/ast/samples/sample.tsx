import React from "react";

export function Greeting({ name, admin }: { name?: string; admin: boolean }) {
  if (!name) {
    return <p>Hello, stranger</p>;
  }
  return <p>{admin ? "Welcome back, admin " : "Hello, "}{name}</p>;
}

export const List = ({ items }: { items: string[] }) => (
  <ul>{items.map((i) => <li key={i}>{i}</li>)}</ul>
);
