require "json"
require_relative "helpers"

module Billing
  class Invoice
    def initialize(lines)
      @lines = lines
    end

    def total
      sum = 0
      @lines.each do |line|
        next if line[:void]
        sum += line[:amount]
      end
      sum
    end

    def self.status(paid, due)
      if paid
        "paid"
      elsif due && due < Time.now
        "overdue"
      else
        "open"
      end
    end
  end
end
