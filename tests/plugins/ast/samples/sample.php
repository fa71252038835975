<?php
namespace App\Billing;

use App\Models\Invoice;
use Psr\Log\LoggerInterface;

require_once 'helpers.php';

class InvoiceService
{
    public function __construct(private LoggerInterface $log)
    {
    }

    public function settle(Invoice $invoice, float $amount): bool
    {
        if ($amount <= 0 || $invoice->isPaid()) {
            return false;
        }
        foreach ($invoice->lines() as $line) {
            $amount -= $line->total();
        }
        return $amount >= 0;
    }
}

function format_amount(float $amount): string
{
    return $amount < 0 ? "-" . abs($amount) : (string) $amount;
}
