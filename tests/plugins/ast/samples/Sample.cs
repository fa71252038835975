using System;
using System.Collections.Generic;

namespace Shop
{
    public class Basket
    {
        private readonly List<decimal> prices = new List<decimal>();

        public void Add(decimal price)
        {
            if (price < 0 || price > 10000)
            {
                throw new ArgumentOutOfRangeException(nameof(price));
            }
            prices.Add(price);
        }

        public decimal Total()
        {
            decimal sum = 0;
            foreach (var p in prices)
            {
                sum += p;
            }
            return sum > 100 ? sum * 0.9m : sum;
        }
    }

    public interface IPriced
    {
        decimal Price { get; }
    }
}
