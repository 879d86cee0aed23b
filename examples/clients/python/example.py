"""The host's API through a Python client generated from its own /openapi.json
(openapi-python-client), used as a platform's developer would: every answer comes back as a typed
model, never as a bare dict. Run by examples/reference-host/api-contract.sh against a live host:

    WAAS_URL=http://127.0.0.1:8080 WAAS_API_KEY=... PYTHONPATH=<generated> python example.py
"""

import os

from waas_api import AuthenticatedClient
from waas_api.api.accounts import accounts_create, accounts_get, accounts_list
from waas_api.api.simulate import simulate_confirm, simulate_deposit
from waas_api.api.tokens import tokens_list
from waas_api.api.virtual_wallets import virtual_wallets_balance, virtual_wallets_create, virtual_wallets_transfer
from waas_api.models import (
    AccountCreate,
    AccountDetail,
    AccountOut,
    ConfirmOut,
    DepositOut,
    AccountsGetResponse404,
    ListedAccountOut,
    SimDeposit,
    SimTx,
    Tokens,
    TransferOut,
    TransferReq,
    VirtualCreate,
    VirtualCreated,
    WalletBalance,
)


def main() -> None:
    client = AuthenticatedClient(
        base_url=os.environ["WAAS_URL"],
        token=os.environ["WAAS_API_KEY"],
        auth_header_name="X-API-Key",
        prefix="",
    )
    with client as c:
        created = accounts_create.sync_detailed(client=c, body=AccountCreate(name="alice"))
        assert created.status_code == 201, created
        account = created.parsed
        assert isinstance(account, AccountOut), account
        assert account.name == "alice"

        page = accounts_list.sync(client=c, limit=500)
        assert isinstance(page, ListedAccountOut), page
        assert account.id in [a.id for a in page.data]

        detail = accounts_get.sync(client=c, id=account.id)
        assert isinstance(detail, AccountDetail), detail
        assert detail.wallets == []

        missing = accounts_get.sync_detailed(client=c, id="acc_nope")
        assert missing.status_code == 404
        # Each operation's refusals are typed with the codes it can answer (here 404: NOT_FOUND).
        assert isinstance(missing.parsed, AccountsGetResponse404), missing.parsed
        assert missing.parsed.error.code.value == "NOT_FOUND", missing.parsed.error.code

        tokens = tokens_list.sync(client=c, blockchain="ethereum")
        assert isinstance(tokens, Tokens), tokens
        assert any(t.symbol == "USDT" and t.decimals == 6 for t in tokens.tokens)

        # A deposit address, a (simulated) deposit confirmed, a transfer, the balances after.
        wallets = []
        for _ in range(2):
            made = virtual_wallets_create.sync(
                client=c, body=VirtualCreate(account_id=account.id, blockchain="ethereum")
            )
            assert isinstance(made, VirtualCreated), made
            assert made.address.startswith("0x") and len(made.address) == 42
            wallets.append(made)
        deposit = simulate_deposit.sync(
            client=c, body=SimDeposit(address=wallets[0].address, token="USDT", amount="25", tx="py-example-1")
        )
        assert isinstance(deposit, DepositOut), deposit
        confirmed = simulate_confirm.sync(client=c, body=SimTx(tx="py-example-1"))
        assert isinstance(confirmed, ConfirmOut), confirmed
        moved = virtual_wallets_transfer.sync(
            client=c, id=wallets[0].id, body=TransferReq(to_wallet_id=wallets[1].id, token="USDT", amount="10")
        )
        assert isinstance(moved, TransferOut), moved
        after = [virtual_wallets_balance.sync(client=c, id=w.id) for w in wallets]
        assert all(isinstance(b, WalletBalance) for b in after), after
        assert after[0].balances["USDT"].total == "15", after[0].balances["USDT"]
        assert after[1].balances["USDT"].available == "10", after[1].balances["USDT"]
    print(
        f"python client: account {account.id}, {len(tokens.tokens)} ethereum tokens, "
        f"25 USDT deposited and 10 moved ({moved.id}), typed answers"
    )


if __name__ == "__main__":
    main()
