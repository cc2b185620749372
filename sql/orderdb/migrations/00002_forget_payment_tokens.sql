-- +goose Up
-- Payment tokens were kept for ever; they are needed only until the charge
-- has a final outcome (the saga now forgets them then). Forget the ones
-- whose charge is already decided.
UPDATE orders SET payment_token = '' WHERE saga_step NOT IN ('RESERVE', 'CHARGE');

-- +goose Down
-- Nothing to restore: the tokens are gone on purpose.
SELECT 1;
