{-# LANGUAGE BangPatterns #-}
{-# LANGUAGE MagicHash #-}
-- | The ghc-events baseline of bench/run.sh: decodes an eventlog with the
-- incremental API of the ghc-events library (GHC.RTS.Events.Incremental,
-- Debian's libghc-ghc-events-dev 0.17), reading the file in 1 MiB strict
-- chunks, and forces every event: its timestamp and capability are summed
-- and the constructor of its EventInfo (evaluated to WHNF, which evaluates
-- its strict fields) is folded into a hash. The same work as libeventlog's
-- "decode with a callback per event".
--
--   ghc_events_decode FILE   ->  "events=N timesum=N hash=N"
--
-- Exits 1 if the decoder reports an error.
module Main (main) where

import qualified Data.ByteString as B
import GHC.Exts (Int (I#), dataToTag#)
import GHC.RTS.Events (Event (..))
import GHC.RTS.Events.Incremental (Decoder (..), decodeEventLog)
import System.Environment (getArgs)
import System.Exit (exitFailure)
import System.IO

data Acc = Acc !Int !Word !Int

main :: IO ()
main = do
  args <- getArgs
  path <- case args of
    [p] -> pure p
    _ -> do hPutStrLn stderr "usage: ghc_events_decode FILE"; exitFailure
  h <- openBinaryFile path ReadMode
  let next = B.hGetSome h (1024 * 1024)
      go :: Acc -> Decoder Event -> IO Acc
      go !acc dec = case dec of
        Produce ev dec' -> go (step acc ev) dec'
        Consume k -> do
          chunk <- next
          if B.null chunk then pure acc else go acc (k chunk)
        Done _ -> pure acc
        Error _ msg -> do
          hPutStrLn stderr ("ghc_events_decode: " ++ path ++ ": " ++ msg)
          exitFailure
  Acc n t x <- go (Acc 0 0 0) decodeEventLog
  hClose h
  putStrLn ("events=" ++ show n ++ " timesum=" ++ show t ++ " hash=" ++ show x)

step :: Acc -> Event -> Acc
step (Acc n t x) ev =
  let !spec = evSpec ev
      !tag = I# (dataToTag# spec)
      !cap = maybe 0 id (evCap ev)
  in Acc (n + 1) (t + fromIntegral (evTime ev)) (x * 31 + tag * 8 + cap)
